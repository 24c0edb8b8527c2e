import { execFile, spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { CLI, type CliResult } from "../support/cli.js";

/** A free TCP port on 127.0.0.1 (for commands that must agree on a port: `start` and `env`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command (default: the built CLI through node) in a folder with an environment; never throws. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

export function runCliIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], { cwd, env });
}

export interface Started {
  child: ChildProcess;
  banner: string;
  stop(): Promise<number | null>;
}

/**
 * Starts a server command (`node dist/cli/main.js start …`, an installed `switchboard start …`, the container's
 * start script) and resolves once its banner has printed the trust line; rejects with its output if it exits or
 * times out first.
 */
export function startServer(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, SWITCHBOARD_LOG_LEVEL: "warn", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const fail = (why: string) => reject(new Error(`${why}\nstdout:\n${out}\nstderr:\n${err}`));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail("server did not start in time");
    }, options.timeoutMs ?? 30_000);
    child.stderr!.on("data", (d) => (err += d));
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(`server exited with ${code}`);
    });
    let started = false;
    child.stdout!.on("data", (d) => {
      out += d;
      if (!started && out.includes("NODE_EXTRA_CA_CERTS=")) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({
          child,
          banner: out,
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
              child.once("exit", (code) => res(code));
              child.kill("SIGTERM");
            }),
        });
      }
    });
  });
}

/** The first connection string of a banner for a scheme. */
export function bannerConnectionString(banner: string, scheme: "HTTPS" | "HTTP"): string {
  const m = new RegExp(`primary\\s+\\(${scheme}\\):\\s+(endpoint=\\S+)`).exec(banner);
  if (m === null) throw new Error(`no ${scheme} connection string in:\n${banner}`);
  return m[1]!;
}
