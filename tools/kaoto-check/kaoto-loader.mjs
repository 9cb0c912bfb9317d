// Node module-customization hooks that let Kaoto's published ESM build (lib/esm of
// @kaoto/kaoto, compiled by tsc for a bundler) load in plain Node:
//  * tsc left extensionless relative specifiers ('../../serializers', './foo') that only a
//    bundler resolves: we retry them as `<spec>.mjs`, `<spec>.js` and `<spec>/index.js`.
//  * style/asset imports (.scss/.css/.png/.svg) are replaced by an empty module / a string.
// Nothing in Kaoto's own code is changed; every Kaoto module is loaded from node_modules as shipped.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

// CommonJS packages whose named exports Node's cjs-module-lexer cannot detect (lodash is a UMD
// bundle), while Kaoto's ESM does `import { get } from 'lodash'`. They are wrapped in an ESM
// facade that re-exports every own key of the real CommonJS module.
const CJS_WRAP = new Set(['lodash']);

const ASSET_RE = /\.(s?css|less|png|svg|jpe?g|gif|woff2?|ttf)$/i;

export async function resolve(specifier, context, nextResolve) {
  if (CJS_WRAP.has(specifier)) {
    const r = await nextResolve(specifier, context);
    return { url: r.url + '?cjs-wrap', shortCircuit: true };
  }
  // Bundler semantics for PatternFly: its package.json "main" is a CommonJS build that
  // require()s .css files; a bundler takes the "module" (ESM) build instead, and so do we.
  const pf = /^(@patternfly\/react-[a-z-]+)(\/.*)?$/.exec(specifier);
  if (pf && context.parentURL) {
    const req = createRequire(context.parentURL);
    const pkgJson = req.resolve(pf[1] + '/package.json');
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
    const root = pkgJson.slice(0, -'package.json'.length);
    if (!pf[2] && pkg.module) return { url: 'file://' + root + pkg.module, shortCircuit: true, format: 'module' };
    if (pf[2]) {
      const sub = pf[2].replace('/dist/js/', '/dist/esm/');
      for (const cand of [root + sub.slice(1), root + sub.slice(1) + '.mjs', root + sub.slice(1) + '.js', root + sub.slice(1) + '/index.js']) {
        if (existsSync(cand) && statSync(cand).isFile()) return { url: 'file://' + cand, shortCircuit: true };
      }
    }
  }
  if (ASSET_RE.test(specifier) && context.parentURL && specifier.startsWith('.')) {
    return { url: new URL(specifier, context.parentURL).href + '?asset', shortCircuit: true };
  }
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.startsWith('file:')) {
    const base = new URL(specifier, context.parentURL);
    const p = fileURLToPath(base);
    if (!(existsSync(p) && statSync(p).isFile())) {
      for (const cand of [p + '.mjs', p + '.js', p + '/index.js']) {
        if (existsSync(cand)) return nextResolve(new URL('file://' + cand).href, context);
      }
    }
  }
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    // Bare deep imports without extension (e.g. 'lodash/get') inside ESM packages.
    if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
      for (const suffix of ['.js', '/index.js']) {
        try { return await nextResolve(specifier + suffix, context); } catch { /* next */ }
      }
    }
    throw err;
  }
}

export async function load(url, context, nextLoad) {
  if (url.endsWith('?cjs-wrap')) {
    const file = fileURLToPath(url.slice(0, -'?cjs-wrap'.length));
    const keys = Object.keys(createRequire(import.meta.url)(file)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
    const src = `import { createRequire } from 'node:module';
const m = createRequire(${JSON.stringify(url)})(${JSON.stringify(file)});
export default m;
export const { ${keys.join(', ')} } = m;`;
    return { format: 'module', source: src, shortCircuit: true };
  }
  if (url.endsWith('?asset') || ASSET_RE.test(url)) {
    const name = url.replace(/\?asset$/, '');
    const src = /\.(s?css|less)$/i.test(name) ? 'export default {};' : `export default ${JSON.stringify(name)};`;
    return { format: 'module', source: src, shortCircuit: true };
  }
  return nextLoad(url, context);
}
