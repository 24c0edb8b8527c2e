/**
 * The authority's server-rendered pages: sign-in, device code, errors, sign-out, form_post. No inline script or
 * style and no third-party asset: the strict CSP below allows only this server's own files.
 */
export const ASSET_PATH = "/signin/assets";

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The CSP of every page; `formTargets`: origins a form on the page may submit (or be redirected) to. */
export function pageHeaders(formTargets: string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(" ");
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  };
}

function layout(title: string, body: string, script?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${ASSET_PATH}/signin.css">
${script === undefined ? "" : `<script src="${ASSET_PATH}/${script}" defer></script>`}
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function hiddenFields(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v!)}">`)
    .join("\n");
}

export function signInPage(options: {
  appName: string;
  action: string;
  hidden: Record<string, string | undefined>;
  csrf: string;
  error?: string;
  username?: string;
  heading?: string;
}): string {
  const error = options.error === undefined ? "" : `<p role="alert" class="error">${escapeHtml(options.error)}</p>`;
  return layout(
    "Sign in",
    `<h1>${escapeHtml(options.heading ?? "Sign in")}</h1>
<p>to continue to <strong>${escapeHtml(options.appName)}</strong></p>
${error}
<form method="post" action="${escapeHtml(options.action)}">
${hiddenFields({ ...options.hidden, csrf: options.csrf })}
<p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username" required value="${escapeHtml(options.username ?? "")}"${options.username ? "" : " autofocus"}></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required${options.username ? " autofocus" : ""}></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p role="alert">${escapeHtml(message)}</p>`);
}

/** response_mode=form_post: a form the browser submits to the redirect URI (form-post.js submits it on load). */
export function formPostPage(redirectUri: string, fields: Record<string, string | undefined>): string {
  return layout(
    "Signing in",
    `<form method="post" action="${escapeHtml(redirectUri)}" id="form-post">
${hiddenFields(fields)}
<p><button type="submit">Continue</button></p>
</form>`,
    "form-post.js",
  );
}

export const SIGNIN_CSS = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1b1b}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px #0002}
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{padding:.5rem 1.5rem;font-size:1rem}
.error{color:#a4262c}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
`;

export const FORM_POST_JS = `document.getElementById("form-post").submit();\n`;

/** The device code flow's page: the user types the code shown by the device. */
export function deviceCodePage(options: { action: string; csrf: string; error?: string }): string {
  const error = options.error === undefined ? "" : `<p role="alert" class="error">${escapeHtml(options.error)}</p>`;
  return layout(
    "Enter code",
    `<h1>Enter code</h1>
<p>Enter the code shown by the application or device you want to sign in to.</p>
${error}
<form method="post" action="${escapeHtml(options.action)}">
${hiddenFields({ csrf: options.csrf })}
<p><label for="user_code">Code</label><br><input id="user_code" name="user_code" autocomplete="one-time-code" required autofocus></p>
<p><button type="submit">Next</button></p>
</form>`,
  );
}
