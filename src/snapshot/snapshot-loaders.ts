import { memoryLoader } from '../common/loaders';
import type { Loaders } from '../loaders.type';
import { ConfigSnapshot } from './config-snapshot';

const NONE: never[] = [];

/** The request's reads, answered from one snapshot: no SQL, no batching rounds. */
export function snapshotLoaders(snapshot: ConfigSnapshot): Loaders {
  return {
    fromSnapshot: true,
    snapshot,
    revision: async () => snapshot.revision,
    allServers: async () => [...snapshot.serverList],
    serverIndex: async () => snapshot.servers,
    serverById: memoryLoader((id) => snapshot.servers.get(id) ?? null),
    previousServers: memoryLoader((id) => snapshot.previousServers.get(id) ?? NONE),
    allLibraries: async () => [...snapshot.libraryList],
    libraryById: memoryLoader((id) => snapshot.libraries.get(id) ?? null),
    librariesByServer: memoryLoader((id) => snapshot.librariesByServer.get(id) ?? NONE),
    departmentById: memoryLoader((id) => snapshot.departments.get(id) ?? null),
    departmentsByLibrary: memoryLoader((id) => snapshot.departmentsByLibrary.get(id) ?? NONE),
    departmentsByServer: memoryLoader((id) => snapshot.departmentsByServer.get(id) ?? NONE),
    allDefinitions: async () => [...snapshot.definitionList],
    definitionIndex: async () => snapshot.definitions,
    definitionByKey: memoryLoader((key) => snapshot.definitions.get(key) ?? null),
    valuesByLibrary: memoryLoader((id) => snapshot.libraryValues.get(id) ?? NONE),
    valuesByDepartment: memoryLoader((id) => snapshot.departmentValues.get(id) ?? NONE),
    globalValues: async () => [...snapshot.globalValues],
  };
}
