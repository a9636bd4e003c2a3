import type { Services } from '../context';
import { BuiltInSetting, SettingScope } from '../settings/setting.enums';
import { SYSTEM_ACTOR } from './system-actor';

export interface DemoOptions {
  /** Where the demo servers deliver: the local mail sink outside production. */
  host: string;
  port: number;
}

/**
 * A small network in the spirit of the source document: the vendor's primary and secondary
 * servers as the default chain (R3, D2), one library on the defaults with a department that has
 * its own server and ILL settings (R6, R9), and one library with its own server.
 */
export async function loadDemoData(services: Services, options: DemoOptions = { host: '127.0.0.1', port: 2525 }): Promise<void> {
  const actor = SYSTEM_ACTOR;
  const local = { host: options.host, port: options.port, timeoutMs: 180_000, connectionTimeoutMs: 10_000 };
  const secondary = await services.smtpServers.create({ ...local, name: 'Vendor secondary' }, actor);
  const primary = await services.smtpServers.create({ ...local, name: 'Vendor primary', nextServerId: String(secondary.id) }, actor);
  const ill = await services.smtpServers.create({ ...local, name: 'ILL relay', nextServerId: String(primary.id) }, actor);
  const readingRoom = await services.smtpServers.create({ ...local, name: 'Reading room relay', nextServerId: String(primary.id) }, actor);
  const glowna = await services.smtpServers.create({ ...local, name: 'Biblioteka Główna SMTP', nextServerId: String(secondary.id) }, actor);
  await services.settings.set({ key: BuiltInSetting.DEFAULT_SMTP_SERVER, scope: SettingScope.GLOBAL, value: String(primary.id) }, actor);

  const xyz = await services.libraries.create({ code: 'XYZ', name: 'Městská knihovna XYZ', shortName: 'KNIH-XYZ', contactEmail: 'knihovna@xyz.cz' }, actor);
  await services.departments.create({ libraryId: String(xyz.id), name: "Children's department", email: 'deti@xyz.cz' }, actor);
  await services.departments.create({ libraryId: String(xyz.id), name: 'Reading room', email: 'studovna@xyz.cz', smtpServerId: String(readingRoom.id) }, actor);
  await services.settings.set({ key: BuiltInSetting.ILS_SMTP_SERVER, scope: SettingScope.LIBRARY, libraryId: String(xyz.id), value: String(ill.id) }, actor);
  await services.settings.set({ key: BuiltInSetting.ILS_EMAIL, scope: SettingScope.LIBRARY, libraryId: String(xyz.id), value: 'mvs@xyz.cz' }, actor);

  const bg = await services.libraries.create(
    { code: 'BG', name: 'Biblioteka Główna', shortName: 'Biblioteka Główna', contactEmail: 'biblioteka@glowna.example', smtpServerId: String(glowna.id) },
    actor,
  );
  await services.departments.create({ libraryId: String(bg.id), name: 'Czytelnia' }, actor);
}
