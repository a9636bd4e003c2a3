import { InitialSchema1764201600000 } from './1764201600000-InitialSchema';

/** Every migration, in order. A new migration is added here as well as in its own file. */
export const migrations = [InitialSchema1764201600000];
