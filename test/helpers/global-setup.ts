// Integration and e2e tests run the compiled cluster (dist/main.js) exactly as `npm start` does;
// build it once here so a stale dist never hides a change.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  // `npm run build`: tsc, then the worker bundle (dist/worker.js) that `npm start` runs.
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
