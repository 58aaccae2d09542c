/**
 * Entry point of the `kms-rotator` command. Exit codes: 0 success, 1 the request failed or a guard
 * turned it down, 2 invalid command line or request (nothing was sent or changed).
 */
import { CommanderError, type Command } from 'commander';
import { CliError, EXIT } from './errors.js';
import { buildProgram } from './program.js';

/** Runs the command line `argv` (as process.argv) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  configureEverywhere(program);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message; help and version exit 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return error.exitCode;
    }
    const name = (error as { name?: string }).name ?? 'Error';
    const message = (error as { message?: string }).message ?? String(error);
    process.stderr.write(`Error: ${name}: ${message}\n${hint(name, message)}`);
    return EXIT.failed;
  }
}

/** Commander applies these to subcommands made with .command() only, and these are added with addCommand. */
function configureEverywhere(command: Command): void {
  command.exitOverride().showHelpAfterError('(add --help for usage)');
  command.commands.forEach(configureEverywhere);
}

/** Returns a next step for the AWS SDK's most common failures, or an empty string. */
function hint(name: string, message: string): string {
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)) return 'Check --endpoint (and --dynamodb-endpoint): nothing answered there.\n';
  if (name === 'CredentialsProviderError') return 'No AWS credentials found: pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.\n';
  if (name === 'ResourceNotFoundException') return 'The state table was not found: check --region and --stage, or --table.\n';
  if (/AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(name)) return 'AWS rejected your credentials or their permissions: check --profile and your IAM permissions.\n';
  return '';
}

process.exitCode = await runCli(process.argv);
