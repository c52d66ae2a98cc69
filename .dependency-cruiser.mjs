// Architecture rules for src/, checked by `npm run lint` (dependency-cruiser): the process model
// of docs/architecture.md as imports. A violation names the rule and the import that breaks it.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other (types too) have no order a reader can follow.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'manager-runs-no-application-code',
      severity: 'error',
      comment: 'The manager never loads the application: not app/, not worker/, not Koa.',
      from: { path: '^src/manager/' },
      to: { path: ['^src/app/', '^src/worker/', '^src/worker\\.ts$', 'node_modules/(koa|@koa)/'] },
    },
    {
      name: 'workers-do-not-import-the-manager',
      severity: 'error',
      comment: 'Worker and app talk to the manager through src/protocol.ts only.',
      from: { path: ['^src/worker/', '^src/app/', '^src/worker\\.ts$'] },
      to: { path: '^src/manager/' },
    },
    {
      name: 'shared-modules-import-neither-side',
      severity: 'error',
      comment: 'protocol, config and metrics/ are what both sides share: they import neither.',
      from: { path: ['^src/protocol\\.ts$', '^src/config\\.ts$', '^src/metrics/'] },
      to: { path: ['^src/manager/', '^src/worker/', '^src/app/'] },
    },
    {
      name: 'supervision-knows-no-metrics-rooms',
      severity: 'error',
      comment: 'Supervision forks and watches workers; it never reaches into the metrics half.',
      from: { path: '^src/manager/supervision/' },
      to: { path: '^src/manager/(aggregation|collection|endpoint|thread)/' },
    },
    {
      name: 'aggregation-is-pure',
      severity: 'error',
      comment:
        'Ledger, merge and rendering turn snapshots into bytes: no I/O rooms, no supervision.',
      from: { path: '^src/manager/aggregation/' },
      to: { path: '^src/manager/(collection|endpoint|thread|supervision)/' },
    },
    {
      name: 'collection-serves-endpoint-and-thread',
      severity: 'error',
      comment: 'Collection is below the HTTP endpoint and the thread plumbing that use it.',
      from: { path: '^src/manager/collection/' },
      to: { path: '^src/manager/(endpoint|thread)/' },
    },
    {
      name: 'thread-never-imports-endpoint',
      comment:
        'The thread plumbing (calls, protocol) is below the HTTP endpoint that uses it: an arrow back made the old cycle.',
      severity: 'error',
      from: { path: '^src/manager/thread/' },
      to: { path: '^src/manager/endpoint/' },
    },
    {
      name: 'rooms-never-import-entries',
      severity: 'error',
      comment: 'run-manager.ts and metrics-thread.ts compose the rooms; no room imports them.',
      from: { path: '^src/manager/[^/]+/' },
      to: { path: '^src/manager/[^/]+\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
