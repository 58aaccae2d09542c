/**
 * `npm run invoke -- EVENT_FILE`: runs the rotate handler once in this process with an event from
 * a JSON file, against whatever the AWS SDK's environment points at (AWS, LocalStack, or the local
 * emulator and dynalite), and prints the result as JSON.
 */
import { readFileSync } from 'node:fs';
import { handler } from '../handlers/rotate.js';

const path = process.argv[2];
if (!path || path === '--help' || path === '-h') {
  console.log('Usage: npm run invoke -- EVENT_FILE\n\nRuns handlers/rotate.ts with the event in EVENT_FILE, such as events/manual-rotation.json.');
  process.exit(path ? 0 : 1);
}

try {
  const event: unknown = JSON.parse(readFileSync(path, 'utf8'));
  console.log(JSON.stringify(await handler(event), null, 2));
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
}
