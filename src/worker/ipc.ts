// The worker's end of the IPC channel: typed send (resolving once the message is handed to the
// OS, so "send then exit" loses nothing) and typed receive.
import { isManagerMessage, type ManagerMessage, type WorkerMessage } from '../protocol.js';

export function sendToManager(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    try {
      // The callback fires once the message is written (or failed: the manager is gone, and
      // there is nobody left to tell).
      process.send(message, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
}

export function onManagerMessage(handler: (message: ManagerMessage) => void): void {
  process.on('message', (message: unknown) => {
    if (isManagerMessage(message)) handler(message);
  });
}
