import { Capability, inScope, scopeOf } from '../auth/access';
import { Identity } from '../auth/identity';
import type { Loaders } from '../context';
import { Department } from '../department/department.entity';
import { Library } from '../library/library.entity';
import { MailPurpose } from '../mail/mail.enums';
import { SmtpServer } from './smtp-server.entity';

/**
 * What the links of a server show to whom (SPEC.md role matrix): identities that read every
 * server see every link; a library-admin sees only its own libraries and departments, and only
 * servers in one of its libraries' chains.
 */

/** The one thing visibility needs from mail resolution: the chain for a library, department and purpose. */
export interface ChainSource {
  resolve(loaders: Loaders, library: Library, department: Department | null, purpose: MailPurpose): Promise<{ servers: SmtpServer[] }>;
}

/** "Servers in my chains", computed once per request (loaders live exactly one request). */
const chainsOfRequest = new WeakMap<Loaders, Promise<ReadonlySet<number>>>();

export function visibleLibraries(identity: Identity, libraries: Library[]): Library[] {
  const scope = scopeOf(identity, Capability.READ_LIBRARIES);
  return libraries.filter((library) => inScope(scope, library.id));
}

export function visibleDepartments(identity: Identity, departments: Department[]): Department[] {
  const scope = scopeOf(identity, Capability.READ_LIBRARIES);
  return departments.filter((department) => inScope(scope, department.libraryId));
}

export async function visibleServers(identity: Identity, loaders: Loaders, chains: ChainSource, servers: SmtpServer[]): Promise<SmtpServer[]> {
  if (servers.length === 0 || scopeOf(identity, Capability.READ_SERVERS) === 'all') return servers;
  const scope = scopeOf(identity, Capability.READ_CHAIN_SERVERS);
  if (scope === 'all') return servers;
  if (scope === 'none') return [];
  let visible = chainsOfRequest.get(loaders);
  if (!visible) {
    visible = chainServerIds(loaders, chains, scope);
    chainsOfRequest.set(loaders, visible);
  }
  const ids = await visible;
  return servers.filter((server) => ids.has(server.id));
}

/** Every server of every chain of the libraries, over each of their departments and each purpose (D4, D5). */
async function chainServerIds(loaders: Loaders, chains: ChainSource, libraryIds: ReadonlySet<number>): Promise<ReadonlySet<number>> {
  const libraries = (await Promise.all([...libraryIds].map((id) => loaders.libraryById.load(id)))).filter((l): l is Library => l !== null);
  const targets = await Promise.all(
    libraries.map(async (library) => [null, ...(await loaders.departmentsByLibrary.load(library.id))].map((department) => ({ library, department }))),
  );
  const resolved = await Promise.all(
    targets.flat().flatMap(({ library, department }) => Object.values(MailPurpose).map((purpose) => chains.resolve(loaders, library, department, purpose))),
  );
  return new Set(resolved.flatMap((chain) => chain.servers.map((server) => server.id)));
}
