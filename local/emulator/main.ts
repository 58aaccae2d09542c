import { parseArgs } from 'node:util';

import { startEmulator } from './index.js';

const usage = `Usage: tsx local/emulator/main.ts [--port N] [--host 127.0.0.1] [--state FILE]

Runs the local KMS and EventBridge emulator until SIGINT or SIGTERM.
  --port N      TCP port to listen on (default 0: a free port)
  --host ADDR   address to listen on (default 127.0.0.1)
  --state FILE  JSON file to load state from and save it to after each change`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      state: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid --port ${values.port}: expected an integer from 0 to 65535.`);
  }

  const emulator = await startEmulator({
    port,
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.state !== undefined ? { stateFile: values.state } : {}),
  });
  console.log(`kms-rotator emulator listening on ${emulator.endpoint}`);

  const stop = (signal: string): void => {
    console.log(`kms-rotator emulator: received ${signal}, stopping`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('kms-rotator emulator: failed to stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`kms-rotator emulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
