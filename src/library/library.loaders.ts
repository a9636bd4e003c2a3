import { DataSource, In } from 'typeorm';
import { lazy } from '../common/lazy';
import { loaderByGroup, loaderById } from '../common/loaders';
import { Library } from './library.entity';

export function createLibraryLoaders(dataSource: DataSource) {
  const repository = dataSource.getRepository(Library);
  return {
    allLibraries: lazy(() => repository.find({ order: { id: 'ASC' } })),
    libraryById: loaderById((ids) => repository.findBy({ id: In(ids) })),
    librariesByServer: loaderByGroup(
      (ids: number[]) => repository.find({ where: { smtpServerId: In(ids) }, order: { id: 'ASC' } }),
      (library) => library.smtpServerId as number,
    ),
  };
}
