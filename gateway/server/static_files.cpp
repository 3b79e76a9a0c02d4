#include "gateway/server/static_files.hpp"

#include <map>
#include <memory>

#include "gateway/server/router.hpp"

namespace moai::gateway {

std::string content_type_of(std::string_view path) {
  static const std::map<std::string_view, std::string> types = {
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},     {".svg", "image/svg+xml"},
      {".json", "application/json"},           {".png", "image/png"},
      {".ico", "image/x-icon"},                {".txt", "text/plain; charset=utf-8"},
  };
  const auto dot = path.rfind('.');
  if (dot != std::string_view::npos) {
    if (auto it = types.find(path.substr(dot)); it != types.end()) return it->second;
  }
  return "application/octet-stream";
}

http_handler static_files(std::vector<static_file> files, const std::string& index) {
  auto by_path = std::make_shared<std::map<std::string, static_file>>();
  for (auto& f : files) {
    if (f.path == index) {
      const std::string dir = index.substr(0, index.rfind('/') + 1);
      (*by_path)[dir] = f;
      if (dir.size() > 1) (*by_path)[dir.substr(0, dir.size() - 1)] = f;
    }
    (*by_path)[f.path] = f;
  }
  return [by_path](http_request&& request, responder respond) {
    auto it = by_path->find(request.path);
    if (it == by_path->end()) return respond(not_found(request.path));
    if (request.method != "GET" && request.method != "HEAD") {
      return respond(json_response(405, "{\"error\":\"method not allowed\"}"));
    }
    http_response r;
    r.content_type = content_type_of(it->second.path);
    if (request.method == "GET") r.body = std::string(it->second.body);
    r.headers = {{"Cache-Control", "no-cache"},
                 {"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
                 {"X-Content-Type-Options", "nosniff"}};
    respond(std::move(r));
  };
}

}  // namespace moai::gateway
