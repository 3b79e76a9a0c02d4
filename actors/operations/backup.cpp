// moai backup DEST and moai restore BACKUP [--force]: storage/backup.hpp on the
// configured SQLite database. PostgreSQL has its own tools (pg_dump, pg_restore).
#include <cstdio>
#include <functional>
#include <string>

#include "actors/operations/command_line.hpp"
#include "actors/operations/operation_commands.hpp"
#include "storage/backup.hpp"

namespace moai::actors {
namespace {

// Backups of the other stores are not this command's.
bool sqlite_only(const config& cfg, const char* command) {
  if (cfg.storage == "sqlite") return true;
  if (cfg.storage == "postgres") {
    std::fprintf(stderr,
                 "moai %s: storage is PostgreSQL: use its own tools while the server runs, e.g.\n"
                 "  pg_dump --format=custom --file=moai.dump \"$MOAI_POSTGRES_URL\"\n"
                 "  pg_restore --clean --if-exists --dbname=\"$MOAI_POSTGRES_URL\" moai.dump\n"
                 "(see the README, Operations)\n",
                 command);
  } else {
    std::fprintf(stderr, "moai %s: storage is memory: there is nothing on disk to copy\n", command);
  }
  return false;
}

void print_copy(const storage::sqlite_copy_report& r) {
  std::printf("copied %llu pages (%.1f KiB) in %.3f s: %llu CoValues, %llu sessions, %llu transactions; integrity %s\n",
              static_cast<unsigned long long>(r.pages), static_cast<double>(r.bytes) / 1024.0, r.seconds,
              static_cast<unsigned long long>(r.rows.covalues), static_cast<unsigned long long>(r.rows.sessions),
              static_cast<unsigned long long>(r.rows.transactions), r.integrity.c_str());
}

// What both commands do: one path argument, SQLite only, the copy made and described.
int copy_command(const command_args& args, const char* command, const char* usage, const std::string& from,
                 const std::string& to, const std::function<storage::sqlite_copy_report()>& copy) {
  if (args.positional.size() != 1) {
    std::fprintf(stderr, "moai: usage: moai %s %s [configuration flags]\n", command, usage);
    return 2;
  }
  if (!sqlite_only(args.cfg, command)) return 2;
  try {
    std::printf("moai %s: %s -> %s\n", command, from.c_str(), to.c_str());
    std::fflush(stdout);
    print_copy(copy());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moai %s: %s\n", command, e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int run_backup(const command_args& args) {
  const std::string dest = args.positional.empty() ? "" : args.positional[0];
  return copy_command(args, "backup", "DEST", args.cfg.db_path, dest,
                      [&] { return storage::backup_sqlite(args.cfg.db_path, dest); });
}

int run_restore(const command_args& args) {
  const std::string backup = args.positional.empty() ? "" : args.positional[0];
  const bool replace = args.switches.count("--force") > 0;
  return copy_command(args, "restore", "BACKUP [--force]", backup, args.cfg.db_path,
                      [&] { return storage::restore_sqlite(backup, args.cfg.db_path, replace); });
}

}  // namespace moai::actors
