#!/usr/bin/env node
// Headless check of how Kaoto 2.7.1 (npm @kaoto/kaoto, pinned in package.json) would draw
// Camel YAML files. Everything that decides what is drawn is Kaoto's own shipped code:
//   CamelResourceFactory.createCamelResource(source, { path })    (what EntitiesProvider calls)
//   resource.getVisualEntities() / resource.getEntities()          (what EntitiesProvider keeps)
//   FlowService.getFlowDiagram(entity.id, entity.toVizNode())      (what Canvas.js draws, per visible flow)
//   vizNode.getNodeLabel() / getNodeValidationText()               (what CustomNode.js shows)
//   CamelCatalogService.setCatalogKey(...)                         (what CatalogLoaderProvider does, fed
//                                                                   from the catalog files shipped in the package)
// This script only loads those modules headless (jsdom globals + kaoto-loader.mjs resolve hooks) and prints.
//
// Usage: node kaoto-check.mjs [--catalog "Camel Main 4.14.0"] [--quiet] FILE...
// Exit: 0 all files draw at least one step; 1 some file opens empty; 2 usage / load error.
import { createRequire, register } from 'node:module';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// ---------- arguments ----------
const args = process.argv.slice(2);
let catalogName;
let quiet = false;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--catalog') catalogName = args[++i];
  else if (args[i] === '--quiet') quiet = true;
  else if (args[i] === '-h' || args[i] === '--help') {
    console.log('usage: node kaoto-check.mjs [--catalog "<catalog name>"] [--quiet] FILE...');
    process.exit(0);
  } else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: node kaoto-check.mjs [--catalog "<catalog name>"] [--quiet] FILE...');
  process.exit(2);
}

// ---------- headless environment ----------
// 1. Browser globals Kaoto's modules touch at import time (e.g. `new DOMParser()` in the XML parser).
const { JSDOM } = await import('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
const GLOBALS = ['window', 'document', 'DOMParser', 'XMLSerializer', 'Node', 'Element', 'HTMLElement',
  'SVGElement', 'localStorage', 'sessionStorage', 'navigator', 'getComputedStyle', 'MutationObserver',
  'requestAnimationFrame', 'cancelAnimationFrame'];
for (const k of GLOBALS) {
  if (k in globalThis && k !== 'navigator') continue;
  const v = dom.window[k] ?? (k === 'requestAnimationFrame' ? (cb) => setTimeout(cb, 0) : k === 'cancelAnimationFrame' ? clearTimeout : undefined);
  Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
}
globalThis.window.matchMedia ??= () => ({ matches: false, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {} });
// 2. CommonJS builds of PatternFly require('.css'): make those empty modules.
const Module = require('module');
for (const ext of ['.css', '.scss']) Module._extensions[ext] = (m) => { m.exports = {}; };
// 3. ESM resolve/load hooks (extensionless specifiers, .scss imports, lodash named exports).
register(pathToFileURL(join(HERE, 'kaoto-loader.mjs')).href, pathToFileURL(HERE + '/').href);

// Some React/MobX libraries warn at import time; keep stdout for the report.
const origWarn = console.warn;
console.warn = (...a) => { if (!String(a[0]).includes('mobx-react-lite')) origWarn(...a); };

// ---------- Kaoto modules (from the installed package, unmodified) ----------
// ('./package.json' is not in the package's "exports", so locate it via the main entry.)
const KAOTO_PKG = require.resolve('@kaoto/kaoto').replace(/\/lib\/cjs\/public-api\.js$/, '');
const KAOTO_VERSION = JSON.parse(readFileSync(join(KAOTO_PKG, 'package.json'), 'utf8')).version;
const K = (p) => import(pathToFileURL(join(KAOTO_PKG, 'lib/esm', p)).href);
let CamelResourceFactory, CamelCatalogService, CatalogKind, FlowService, NodeLabelType, versionCompare;
try {
  ({ CamelResourceFactory } = await K('models/camel/camel-resource-factory.js'));
  ({ CamelCatalogService } = await K('models/visualization/flows/camel-catalog.service.js'));
  ({ CatalogKind } = await K('models/catalog-kind.js'));
  ({ NodeLabelType } = await K('models/settings/settings.model.js'));
  ({ versionCompare } = await K('utils/version-compare.js'));
  ({ FlowService } = await K('components/Visualization/Canvas/flow.service.js'));
} catch (err) {
  console.error('Could not load Kaoto model modules headless:', err);
  process.exit(2);
}

// ---------- catalog: same files and same setCatalogKey calls as CatalogLoaderProvider ----------
const catalogRoot = join(KAOTO_PKG, 'lib/camel-catalog');
const library = JSON.parse(readFileSync(join(catalogRoot, 'index.json'), 'utf8'));
let entry;
if (catalogName) {
  entry = library.definitions.find((c) => c.name === catalogName);
  if (!entry) {
    console.error(`catalog "${catalogName}" not in package; have: ${library.definitions.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
} else {
  // RuntimeProvider's default when nothing is stored in localStorage: newest Red Hat "Main" catalog.
  entry = library.definitions
    .filter((c) => c.runtime === 'Main' && c.name.includes('redhat'))
    .sort((c1, c2) => versionCompare(c1.version.split('.redhat')[0], c2.version.split('.redhat')[0]))[0];
}
const indexFile = join(catalogRoot, entry.fileName);
const catalogIndex = JSON.parse(readFileSync(indexFile, 'utf8'));
const cat = (key) => JSON.parse(readFileSync(join(dirname(indexFile), catalogIndex.catalogs[key].file), 'utf8'));
CamelCatalogService.setCatalogKey(CatalogKind.Component, cat('components'));
CamelCatalogService.setCatalogKey(CatalogKind.Processor, cat('models'));
CamelCatalogService.setCatalogKey(CatalogKind.Pattern, cat('patterns'));
CamelCatalogService.setCatalogKey(CatalogKind.Entity, cat('entities'));
CamelCatalogService.setCatalogKey(CatalogKind.Language, cat('languages'));
CamelCatalogService.setCatalogKey(CatalogKind.Dataformat, cat('dataformats'));
CamelCatalogService.setCatalogKey(CatalogKind.Loadbalancer, cat('loadbalancers'));
CamelCatalogService.setCatalogKey(CatalogKind.Kamelet, { ...cat('kameletBoundaries'), ...cat('kamelets') });
CamelCatalogService.setCatalogKey(CatalogKind.Function, cat('functions'));

console.log(`Kaoto ${KAOTO_VERSION} model (${KAOTO_PKG}), catalog "${entry.name}"`);

// ---------- per file ----------
const safe = (fn, fallback = undefined) => { try { return fn(); } catch (e) { return fallback ?? `<error: ${e.message}>`; } };
const describeNonVisual = (e) => {
  const json = safe(() => e.toJSON(), {});
  const keys = json && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json) : [];
  const inner = keys.length === 1 && json[keys[0]] && typeof json[keys[0]] === 'object' ? json[keys[0]] : undefined;
  const id = inner?.id ?? inner?.routeId ?? '';
  return `${e.type}${keys.length ? `(${keys.join(',')}${id ? ` id=${id}` : ''})` : ''}`;
};

let anyEmpty = false;
const summaries = [];
for (const file of files) {
  const path = resolvePath(file);
  const name = basename(path);
  const source = readFileSync(path, 'utf8');
  const out = [];
  let resource;
  let parseError;
  try {
    // EntitiesProvider: createCamelResource(sourceCode, { path: fileExtension }); on error it falls back to ''.
    resource = CamelResourceFactory.createCamelResource(source, { path: name });
  } catch (err) {
    parseError = err;
    resource = CamelResourceFactory.createCamelResource('', { path: name });
  }
  out.push(`\n=== ${file}`);
  out.push(`  resource: ${resource.constructor.name} (schema type ${resource.getType()})` +
    (parseError ? `  PARSE ERROR -> Kaoto falls back to an empty resource: ${parseError.message}` : ''));

  const visual = resource.getVisualEntities();
  const all = resource.getEntities();
  const nonVisual = all.filter((e) => !visual.includes(e));
  out.push(`  visual entities (${visual.length}): ${visual.map((e) => `${e.type}:${safe(() => e.getId())}`).join(', ') || '-'}`);
  out.push(`  non-visual entities (${nonVisual.length}): ${nonVisual.map(describeNonVisual).join(', ') || '-'}`);

  let fileSteps = 0;
  const invalid = [];
  for (const entity of visual) {
    const eid = safe(() => entity.getId());
    let vizNode;
    let diagram;
    try {
      vizNode = entity.toVizNode();
      diagram = FlowService.getFlowDiagram(entity.id, vizNode); // exactly what Canvas.js draws for this flow
    } catch (err) {
      out.push(`  [${entity.type} ${eid}] toVizNode/getFlowDiagram FAILED: ${err.stack}`);
      continue;
    }
    const nodes = diagram.nodes;
    const placeholders = nodes.filter((n) => n.type === 'node-placeholder');
    const groups = nodes.filter((n) => n.type === 'group');
    const leaves = nodes.filter((n) => n.type === 'node');
    const rootId = `${entity.id}|${vizNode.id}`;
    // "steps drawn": every canvas node that is not a placeholder, except the flow's own container group.
    const steps = nodes.filter((n) => n.type !== 'node-placeholder' && n.id !== rootId);
    fileSteps += steps.length;
    out.push(`  [${entity.type} ${eid}] canvas: ${nodes.length} nodes = ${leaves.length} step nodes + ${groups.length} groups (incl. the flow container) + ${placeholders.length} placeholders, ${diagram.edges.length} edges -> ${steps.length} steps drawn`);

    // Tree walk (same getChildren() order FlowService uses)
    const seen = new Set();
    const walk = (n, depth) => {
      if (seen.has(n)) return;
      seen.add(n);
      const d = n.data ?? {};
      const kind = d.isPlaceholder ? 'placeholder' : d.isGroup ? 'group' : 'step';
      const labelId = safe(() => n.getNodeLabel(NodeLabelType.Id));
      const labelDesc = safe(() => n.getNodeLabel(NodeLabelType.Description));
      const validation = d.isPlaceholder ? undefined : safe(() => n.getNodeValidationText());
      let line = `${'  '.repeat(depth + 2)}- ${kind} ${d.processorName ?? '?'}${d.componentName ? ` (${d.componentName})` : ''} label="${labelDesc}"`;
      if (labelId !== labelDesc) line += ` id="${labelId}"`;
      line += `  path=${d.path ?? '-'}`;
      if (validation) {
        line += `  !! INVALID: ${validation}`;
        invalid.push(`${eid} ${d.path}: ${validation}`);
      }
      if (!quiet || validation || depth < 1) out.push(line);
      for (const c of n.getChildren() ?? []) walk(c, depth + 1);
    };
    walk(vizNode, 0);
  }

  const empty = fileSteps === 0;
  if (empty) anyEmpty = true;
  const summary = `${name}: ${visual.length} visual entities (${visual.map((e) => safe(() => e.getId())).join(', ') || '-'}), ` +
    `${nonVisual.length} non-visual entities (${[...new Set(nonVisual.map(describeNonVisual))].join(', ') || '-'}), ` +
    `${fileSteps} steps drawn${empty ? '  ** OPENS EMPTY **' : ''}` +
    (invalid.length ? `  ** ${invalid.length} node(s) flagged invalid **` : '') +
    (parseError ? '  ** PARSE ERROR **' : '');
  out.push(`  FILE ${summary}`);
  for (const i of invalid) out.push(`    invalid: ${i}`);
  console.log(out.join('\n'));
  summaries.push({ summary, invalid });
}

console.log('\n=== SUMMARY');
for (const s of summaries) console.log(s.summary);
process.exit(anyEmpty ? 1 : 0);
