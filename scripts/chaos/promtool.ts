// `promtool check metrics` on a scrape's text: the format and lint checks Prometheus' own tool
// applies. Returns its complaint, or undefined when it passed.
import { spawn } from 'node:child_process';

export function promtoolCheck(promtool: string, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', (error) => resolve(`promtool did not run: ${error.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `exit ${code}: ${output.trim().slice(0, 500)}`);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
}
