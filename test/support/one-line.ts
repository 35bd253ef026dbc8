// What a refusal must reduce to: exactly one line on stderr once progress lines (`[env] …`, `[run] …`) and
// npm's own warnings are set aside. Tests named "one line" assert this, not just that the line is somewhere.
export function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[') && !l.startsWith('npm warn'));
}
