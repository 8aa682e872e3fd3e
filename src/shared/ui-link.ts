/**
 * How a result points at a position in `thinlab ui`: the command that opens the page there, and
 * the address path the page reads (`?branch=B&pos=N`, src/ui/assets/app.js), so that a run, a
 * bisect or a whatif printed in a terminal can be looked at without retyping the position.
 */

/** The page's path for a branch and position: what a link to the running page ends with. */
export function uiPath(branch: string, position: number): string {
  return `/?branch=${encodeURIComponent(branch)}&pos=${position}`;
}

/** `open in the ui: thinlab ui --branch B --at N [--db PATH]  (page /?branch=B&pos=N)`. */
export function uiLink(branch: string, position: number, where: string): string {
  return `open in the ui: thinlab ui --branch ${branch} --at ${position}${where}  (page ${uiPath(branch, position)})`;
}
