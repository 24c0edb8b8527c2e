import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../support/create-store.js";
import { runCliIn } from "./newcomer-support.js";

/** Commands other than `start` never create a store; they say which store they act on. */
describe("CLI store discovery", () => {
  const folder = mkdtempSync(path.join(tmpdir(), "sb-newcomer-elsewhere-"));
  const project = mkdtempSync(path.join(tmpdir(), "sb-newcomer-project-"));
  const projectStore = path.join(project, "state");
  beforeAll(() => createStore(projectStore));

  it("refuses to create a store in another folder, naming the absolute path and the fix", async () => {
    for (const args of [["keys", "list"], ["outbox", "list"], ["identity", "create"], ["sp", "create", "--name", "x"], ["env"]]) {
      const res = await runCliIn(folder, args, { SWITCHBOARD_DATA_DIR: "" });
      expect({ args, code: res.code }).toEqual({ args, code: 1 });
      expect(res.stdout).toBe("");
      expect(res.stderr.trim()).toBe(
        `switchboard: no store at ${path.join(folder, ".switchboard", "switchboard.db")}; start the server there first (switchboard start --data-dir ${path.join(folder, ".switchboard")}) or pass --data-dir / --database-url`,
      );
    }
    expect(readdirSync(folder)).toEqual([]);
  });

  it("refuses in-memory state with a clear message (flag in a config file or SWITCHBOARD_IN_MEMORY)", async () => {
    const res = await runCliIn(folder, ["keys", "list"], { SWITCHBOARD_IN_MEMORY: "1" });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^switchboard: in-memory state lives only inside the server process .*use --dev for fixed, well-known keys/);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("honours SWITCHBOARD_DATA_DIR and a project switchboard.json found from a subfolder (its relative dataDir is relative to it); --verbose names the store", async () => {
    const viaEnv = await runCliIn(folder, ["keys", "list", "--json"], { SWITCHBOARD_DATA_DIR: projectStore });
    expect(viaEnv.code).toBe(0);
    const expected = JSON.parse(viaEnv.stdout) as { primaryKey: string };

    writeFileSync(path.join(project, "switchboard.json"), JSON.stringify({ dataDir: "state" }));
    const sub = path.join(project, "src", "deep");
    mkdirSync(sub, { recursive: true });
    const viaFile = await runCliIn(sub, ["keys", "list", "--json", "--verbose"], { SWITCHBOARD_DATA_DIR: "" });
    expect(viaFile.code).toBe(0);
    expect(JSON.parse(viaFile.stdout)).toEqual(expected);
    expect(viaFile.stderr).toBe(`switchboard: store SQLite ${path.join(projectStore, "switchboard.db")}; config ${path.join(project, "switchboard.json")}\n`);
    expect(existsSync(path.join(sub, ".switchboard"))).toBe(false);
  });

  it("--help says where the store comes from and that commands never create one", async () => {
    const res = await runCliIn(folder, ["keys", "list", "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Commands other than `start` never create a store.");
    expect(res.stdout).toContain("SWITCHBOARD_DATA_DIR");
    expect(res.stdout).toContain(`Here, without flags: SQLite ${path.join(folder, ".switchboard", "switchboard.db")}`);
    const inProject = await runCliIn(project, ["keys", "list", "--help"], { SWITCHBOARD_DATA_DIR: "" });
    expect(inProject.stdout).toContain(`Here, without flags: SQLite ${path.join(projectStore, "switchboard.db")} (from ${path.join(project, "switchboard.json")})`);
  });

  it("in a folder where a server runs --in-memory, the refusal says so", async () => {
    const here = mkdtempSync(path.join(tmpdir(), "sb-newcomer-inmem-"));
    mkdirSync(path.join(here, ".switchboard", "tls"), { recursive: true });
    const res = await runCliIn(here, ["outbox", "list"], { SWITCHBOARD_DATA_DIR: "" });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no store at .*\(a server started here with --in-memory keeps its state inside its process\)\n$/);
  });
});
