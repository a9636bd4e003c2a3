import { parseArgs } from 'node:util';
import { signingSecret } from '../src/auth/dev-secret';
import { Role } from '../src/auth/identity';
import { signToken, TokenClaims } from '../src/auth/token-verifier';
import { ConfigError, loadConfig } from '../src/config';

const USAGE = `Usage: npm run -s token -- --role <support|library-admin|service> [--role ...] [--scope mail:credentials]
                             [--libraries 1,2] [--sub name] [--name "Display name"] [--hours 8]`;

class UsageError extends Error {}

/** The claims the flags ask for; every mistake is named before anything is signed. */
function claimsFromArgs(args: string[]): { claims: TokenClaims; hours: number } {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      libraries: { type: 'string' },
      sub: { type: 'string' },
      name: { type: 'string' },
      hours: { type: 'string', default: '12' },
    },
    strict: true,
  });
  const known = Object.values(Role) as string[];
  const roles = values.role ?? [];
  if (roles.length === 0) throw new UsageError('--role is required');
  const unknown = roles.find((role) => !known.includes(role));
  if (unknown !== undefined) throw new UsageError(`--role must be one of ${known.join(', ')}`);
  const libraries = (values.libraries ?? '').split(',').filter(Boolean).map(Number);
  if (libraries.some((id) => !Number.isInteger(id) || id < 1)) throw new UsageError('--libraries must be comma-separated library ids, e.g. 1,2');
  if (roles.includes(Role.LIBRARY_ADMIN) && libraries.length === 0) throw new UsageError('--role library-admin needs --libraries, e.g. --libraries 1');
  const hours = Number(values.hours);
  if (!(hours > 0 && hours <= 24 * 366)) throw new UsageError('--hours must be a positive number of hours');
  const scope = (values.scope ?? []).join(' ').trim();
  const claims: TokenClaims = { sub: values.sub ?? `dev-${roles.join('-')}`, roles };
  if (values.name) claims.name = values.name;
  if (libraries.length > 0) claims.libraries = libraries;
  if (scope) claims.scope = scope;
  return { claims, hours };
}

/** Prints a bearer token signed with AUTH_JWT_SECRET or, outside production, the development secret. */
async function main(): Promise<void> {
  const config = loadConfig();
  const { claims, hours } = claimsFromArgs(process.argv.slice(2));
  const signing = signingSecret(config.auth, config.production);
  if ('refusal' in signing) throw new Error(signing.refusal);
  const token = await signToken(signing.secret, claims, config.auth, `${Math.round(hours * 3600)}s`);
  process.stdout.write(`${token}\n`);
}

main().catch((error: Error) => {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `Cannot sign a token: ${error.message}\n${usage ? `${USAGE}\n` : ''}`);
  process.exit(1);
});
