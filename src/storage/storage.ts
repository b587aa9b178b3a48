import { AccountsRepo } from './accounts-repo.js';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
import { DevicesRepo } from './devices-repo.js';
import { FiltersRepo } from './filters-repo.js';
import { ProfilesRepo } from './profiles-repo.js';
import { RegistrationTokensRepo } from './registration-tokens-repo.js';
import { TokensRepo } from './tokens-repo.js';

/**
 * The storage layer: one repository per aggregate over one SQLite connection. Services group
 * writes that belong together with `transaction` (synchronous: nothing awaits inside it).
 */
export interface Storage {
  readonly accounts: AccountsRepo;
  readonly devices: DevicesRepo;
  readonly tokens: TokensRepo;
  readonly profiles: ProfilesRepo;
  readonly filters: FiltersRepo;
  readonly registrationTokens: RegistrationTokensRepo;
  /** Runs fn in one transaction (nested calls become savepoints); rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStorage(options: OpenDatabaseOptions): Storage {
  return storageOn(openDatabase(options));
}

export function storageOn(db: Db): Storage {
  return {
    accounts: new AccountsRepo(db),
    devices: new DevicesRepo(db),
    tokens: new TokensRepo(db),
    profiles: new ProfilesRepo(db),
    filters: new FiltersRepo(db),
    registrationTokens: new RegistrationTokensRepo(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close(),
  };
}
