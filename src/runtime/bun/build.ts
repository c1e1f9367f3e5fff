/**
 * Bundling browser code with Bun.build (the only place that calls it). The metric role bundles
 * its dashboard and chat pages at start, so the pages need no network beyond the metric role.
 */

/** A bundled browser entry: its JavaScript and the CSS it imported (may be empty). */
export interface BrowserBundle {
  js: string;
  css: string;
}

/** Bundles `entry` (an absolute path) for browsers: ESM, minified, dependencies inlined. */
export async function bundleBrowser(entry: string, opts: { minify?: boolean } = {}): Promise<BrowserBundle> {
  const r = await Bun.build({ entrypoints: [entry], target: "browser", format: "esm", minify: opts.minify ?? true });
  if (!r.success) throw new Error(`bundling ${entry} failed:\n${r.logs.map(String).join("\n")}`);
  let js = "";
  let css = "";
  for (const o of r.outputs) {
    if (o.path.endsWith(".css")) css += await o.text();
    else if (o.kind === "entry-point") js += await o.text();
  }
  return { js, css };
}
