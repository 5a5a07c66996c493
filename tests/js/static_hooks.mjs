// The resolve hook of static_layout.mjs: <app>/static/<other>/... → <other>/static/<other>/...
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const CROSS_APP = /^(.*)\/([A-Za-z_]\w*)\/static\/([A-Za-z_]\w*)\/(.*)$/;

export async function resolve(specifier, context, next) {
  if (specifier.startsWith(".") && context.parentURL?.startsWith("file:")) {
    const path = fileURLToPath(new URL(specifier, context.parentURL));
    const match = CROSS_APP.exec(path);
    if (match && !existsSync(path)) {
      const [, root, , other, rest] = match;
      const target = `${root}/${other}/static/${other}/${rest}`;
      if (existsSync(target)) return next(pathToFileURL(target).href, context);
    }
  }
  return next(specifier, context);
}
