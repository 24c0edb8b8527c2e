import { execFile, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `switchboard <args>` in this process through the same entry function as the binary (`runCommandLine`),
 * with `env` laid over process.env for the duration and stdout/stderr captured. Each command opens and closes its
 * own store connection, as the CLI process does beside a running server. A few smoke tests keep `runCli` (the
 * built binary) for what only a real process shows: exit codes, the bin entry point, one-line stderr.
 */
export function runCliInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  // Calls made together run one after another: each one owns process.stdout/stderr and process.env while it runs.
  const run = inProcessQueue.then(() => runOnce(args, env));
  inProcessQueue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

let inProcessQueue: Promise<void> = Promise.resolve();

async function runOnce(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const { runCommandLine } = await import("../../src/cli/main.js");
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  Object.assign(process.env, env);
  let stdout = "";
  let stderr = "";
  const capture = (append: (text: string) => void) => (chunk: string | Uint8Array, ...rest: unknown[]) => {
    append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  };
  const out = vi.spyOn(process.stdout, "write").mockImplementation(capture((t) => (stdout += t)) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(capture((t) => (stderr += t)) as typeof process.stderr.write);
  try {
    const code = await runCommandLine(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    restoreEnv();
  }
}

/** Runs the built `switchboard` CLI (npm test builds first). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliServer {
  child: ChildProcess;
  banner: string;
  httpsUrl: string;
  httpUrl: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `switchboard start` as a child process on random ports and waits for its banner. */
export function startCliServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "start", "--port", "0", "--http-port", "0", ...args], {
      env: { ...process.env, SWITCHBOARD_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}${err}`)), 30_000);
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const https = /HTTPS:\s+(https:\/\/\S+?)\/?\s/.exec(out);
      const http = /HTTP:\s+(http:\/\/\S+?)\/?\s/.exec(out);
      if (https !== null && http !== null && out.includes("NODE_EXTRA_CA_CERTS")) {
        clearTimeout(timer);
        resolve({
          child,
          banner: out,
          httpsUrl: https[1]!,
          httpUrl: http[1]!,
          stop: (signal = "SIGTERM") =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once("exit", (code) => res(code));
              child.kill(signal);
            }),
        });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}${err}`));
    });
  });
}
