import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

Deno.test("every file ARCHITECTURE.md names exists", () => {
  const text = Deno.readTextFileSync(new URL("ARCHITECTURE.md", ROOT));
  const named = [...text.matchAll(/`((?:lib|tests|bench|examples|\.ci)\/[\w./-]+)`/g)].map((m) =>
    m[1]!
  );
  assert.ok(named.length > 40, `only ${named.length} paths found: is the scan blind?`);
  const missing = named.filter((path) => {
    try {
      Deno.statSync(new URL(path, ROOT));
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(missing, []);
});

Deno.test("every lib/ folder ARCHITECTURE.md's layer table lists exists and holds modules", () => {
  for (const folder of ["lib/shared/", "lib/comms/", "lib/worker/", "lib/backend/"]) {
    const files = [...Deno.readDirSync(new URL(folder, ROOT))].filter((e) =>
      e.name.endsWith(".ts")
    );
    assert.ok(files.length > 2, folder);
  }
});
