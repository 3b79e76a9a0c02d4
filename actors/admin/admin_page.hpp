// The admin page's files (actors/admin/page/), compiled into the binary by
// cmake/EmbedFiles.cmake and served as they are under /admin/.
#pragma once

#include <vector>

#include "gateway/server/static_files.hpp"

namespace moai::actors {

std::vector<gateway::static_file> admin_page_files();

}  // namespace moai::actors
