/** How `switchboard env` (and `sp create`) print variables: for a POSIX shell, PowerShell, or a .env file. */
export type ShellFormat = "bash" | "powershell" | "dotenv";

export const SHELL_FORMATS: readonly ShellFormat[] = ["bash", "powershell", "dotenv"];

export function parseShellFormat(value: string | undefined): ShellFormat {
  const v = (value ?? "bash").toLowerCase();
  if (v === "sh" || v === "zsh") return "bash";
  if (v === "pwsh") return "powershell";
  if (!(SHELL_FORMATS as readonly string[]).includes(v)) throw new Error(`--shell must be one of ${SHELL_FORMATS.join(", ")}, got '${value}'`);
  return v as ShellFormat;
}

/** One line per variable, quoted so that any value survives `eval`, `Invoke-Expression` or a dotenv parser. */
export function formatEnv(vars: ReadonlyArray<readonly [string, string]>, shell: ShellFormat): string {
  return vars
    .map(([name, value]) => {
      if (shell === "powershell") return `$env:${name} = '${value.replaceAll("'", "''")}'`;
      if (shell === "dotenv") return `${name}="${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
      return `export ${name}='${value.replaceAll("'", `'\\''`)}'`;
    })
    .join("\n")
    .concat("\n");
}
