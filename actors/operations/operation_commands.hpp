// The operations, one function each (operations.cpp dispatches by name).
#pragma once

#include "actors/operations/command_line.hpp"

namespace moai::actors {

int run_backup(const command_args& args);    // backup.cpp
int run_restore(const command_args& args);   // backup.cpp
int run_check(const command_args& args);     // check.cpp
int run_export(const command_args& args);    // transfer.cpp
int run_import(const command_args& args);    // transfer.cpp
int run_keys(const command_args& args);      // keys.cpp

}  // namespace moai::actors
