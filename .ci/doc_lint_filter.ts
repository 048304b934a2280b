// Reads `deno doc --lint` output on stdin and fails on any finding except
// `private-type-ref` to Effect's own types, which a public signature mentioning
// `Effect.Effect` cannot avoid (see DESIGN.md, "Platform facts").
const EFFECT_TYPES = new Set([
  "Effect",
  "Stream",
  "Layer",
  "Scope",
  "TaggedError",
  "Service",
  "Gauge",
  "Counter",
  "Histogram",
]);

const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer())
  .replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "");
const findings = text.split("\n").filter((line) => /^error\[/.test(line));
const allowed = (line: string): boolean => {
  const match = line.match(/^error\[private-type-ref\]: .* references private type '([^']+)'/);
  return match !== null && EFFECT_TYPES.has(match[1]!);
};
const rejected = findings.filter((line) => !allowed(line));
const crashed = findings.length === 0 && /error/i.test(text) && !/Found 0/.test(text);
if (rejected.length > 0 || crashed) {
  console.error(text);
  console.error(`doc lint: ${rejected.length} finding(s) beyond Effect's own types`);
  Deno.exit(1);
}
console.error(`doc lint: clean (${findings.length} private-type-ref to Effect's own types)`);
