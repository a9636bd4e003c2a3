// npm may skip install scripts it has not been told to allow; the SQLite driver is native and
// must be built before the gateway or the tests can open a database.
const { execSync } = require('node:child_process');

function usable() {
  try {
    new (require('better-sqlite3'))(':memory:').close();
    return true;
  } catch {
    return false;
  }
}

if (!usable()) {
  console.log('better-sqlite3 is not built yet; building it (this takes a minute)...');
  execSync('npm rebuild better-sqlite3', { stdio: 'inherit' });
  for (const id of Object.keys(require.cache)) delete require.cache[id];
  if (!usable()) {
    console.error('better-sqlite3 could not be built: check that python3, make and g++ are installed.');
    process.exit(1);
  }
}
