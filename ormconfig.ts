import { loadConfig } from './src/config';
import { createDataSource } from './src/database/data-source';

/** The DataSource the TypeORM CLI uses: the same one the gateway builds from DATABASE_URL. */
export default createDataSource(loadConfig().database);
