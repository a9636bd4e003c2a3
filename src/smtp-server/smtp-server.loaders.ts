import { DataSource, In } from 'typeorm';
import { lazy } from '../common/lazy';
import { loaderByGroup, loaderById } from '../common/loaders';
import { SmtpServer } from './smtp-server.entity';

export function createSmtpServerLoaders(dataSource: DataSource) {
  const repository = dataSource.getRepository(SmtpServer);
  return {
    /** The whole server table (tens of rows): chains are followed in memory, not row by row. */
    allServers: lazy(() => repository.find({ order: { id: 'ASC' } })),
    serverById: loaderById((ids) => repository.findBy({ id: In(ids) })),
    previousServers: loaderByGroup(
      (ids: number[]) => repository.find({ where: { nextServerId: In(ids) }, order: { id: 'ASC' } }),
      (server) => server.nextServerId as number,
    ),
  };
}
