// Import boundaries, checked by `npm test` (scripts/check.ts). dependency-cruiser: the well-kept
// tool made for exactly this (path rules with capture groups, cycle detection, TypeScript's own
// resolution), where a linter's restricted-import lists cannot express "another middleware's folder".
// Each rule's comment says which layer it keeps; docs: README, "Architecture".

// The control plane's floors, bottom first: a folder may import its own floor and those below.
const CONTROL_PLANE_FLOORS = [
  'compiler',
  'manifests',
  'table',
  'diagnostics',
  'api',
  'kv',
  'publish',
  'runtime',
  'pipeline',
  'health',
  'explain',
  'diff',
  'dashboard',
  'controller',
  'cli',
]

const floorRules = CONTROL_PLANE_FLOORS.slice(0, -1).map((folder, i) => ({
  name: `control-plane-floors: ${folder}`,
  comment: `control-plane/${folder}/ sits below ${CONTROL_PLANE_FLOORS.slice(i + 1).join(', ')}: it may not import them`,
  severity: 'error',
  from: { path: `^control-plane/${folder}/` },
  to: { path: `^control-plane/(${CONTROL_PLANE_FLOORS.slice(i + 1).join('|')})/` },
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'control-plane-not-edge',
      comment: 'control-plane/ and edge-worker/ stand side by side: what both need is a contract in shared/',
      severity: 'error',
      from: { path: '^control-plane/' },
      to: { path: '^edge-worker/' },
    },
    {
      name: 'edge-not-control-plane',
      comment: 'edge-worker/ and control-plane/ stand side by side: what both need is a contract in shared/',
      severity: 'error',
      from: { path: '^edge-worker/' },
      to: { path: '^control-plane/' },
    },
    {
      name: 'shared-is-neutral',
      comment: 'shared/ is imported by both sides and imports neither (nor bench/); its tests may read test/support',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(control-plane|edge-worker|bench)/' },
    },
    {
      name: 'shared-code-not-tests',
      comment: "shared/'s code (not its tests) imports nothing from test/",
      severity: 'error',
      from: { path: '^shared/', pathNot: '[.]test[.]ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'shared-no-node',
      comment: "shared/'s code runs on workerd and Node alike: no node: modules (its tests may use them)",
      severity: 'error',
      from: { path: '^shared/', pathNot: '[.]test[.]ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'table-not-publish',
      comment: 'table/ builds the table, publish/ stores it: neither imports the other (shared/kv holds the format)',
      severity: 'error',
      from: { path: '^control-plane/(table|publish)/' },
      to: { path: '^control-plane/(table|publish)/', pathNot: '^control-plane/$1/' },
    },
    ...floorRules,
    {
      name: 'middleware-not-other-middleware',
      comment: "a middleware imports its own folder and middlewares/toolkit, never another middleware's folder",
      severity: 'error',
      from: { path: '^edge-worker/src/middlewares/([^/]+)/' },
      to: { path: '^edge-worker/src/middlewares/[^/]+/', pathNot: '^edge-worker/src/middlewares/($1|toolkit)/' },
    },
    {
      name: 'middleware-code-not-registry',
      comment: "a middleware's code does not import the registry (middlewares/index.ts) that imports it; its tests may",
      severity: 'error',
      from: { path: '^edge-worker/src/middlewares/[^/]+/', pathNot: '[.]test[.]ts$' },
      to: { path: '^edge-worker/src/middlewares/index[.]ts$' },
    },
    {
      name: 'no-circular',
      comment: 'no runtime import loops between modules (a loop made of type-only imports is erased by TypeScript)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^test/traefik/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
    moduleSystems: ['es6'],
  },
}
