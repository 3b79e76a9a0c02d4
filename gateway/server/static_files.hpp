// Files served as they are, from memory: pages compiled into the binary (no files to
// find at run time, no build step of their own), e.g. the admin page.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/server/http_types.hpp"

namespace moai::gateway {

struct static_file {
  std::string path;  // request path, e.g. "/admin/admin.js"
  std::string_view body;
};

// Answers GET and HEAD for `files` by path (`index` also answers `index`'s directory,
// "/admin/" for "/admin/index.html", and that path without its slash), with a content
// type from the file name's extension; 404 for other paths, 405 for other methods. Pages
// may load only what they come with (Content-Security-Policy: default-src 'self').
http_handler static_files(std::vector<static_file> files, const std::string& index);

// "text/html; charset=utf-8" for "x.html", and so on; application/octet-stream otherwise.
std::string content_type_of(std::string_view path);

}  // namespace moai::gateway
