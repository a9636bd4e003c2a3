import { DataSource, In } from 'typeorm';
import { loaderByGroup, loaderById } from '../common/loaders';
import { Department } from './department.entity';

export function createDepartmentLoaders(dataSource: DataSource) {
  const repository = dataSource.getRepository(Department);
  return {
    departmentById: loaderById((ids) => repository.findBy({ id: In(ids) })),
    departmentsByLibrary: loaderByGroup(
      (ids: number[]) => repository.find({ where: { libraryId: In(ids) }, order: { id: 'ASC' } }),
      (department) => department.libraryId,
    ),
    departmentsByServer: loaderByGroup(
      (ids: number[]) => repository.find({ where: { smtpServerId: In(ids) }, order: { id: 'ASC' } }),
      (department) => department.smtpServerId as number,
    ),
  };
}
