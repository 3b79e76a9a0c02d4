#include "gateway/server/router.hpp"

#include <utility>


namespace moai::gateway {

router& router::exact(std::string method, std::string path, http_handler handler) {
  routes_.push_back({std::move(method), std::move(path), false, std::move(handler)});
  return *this;
}

router& router::prefix(std::string method, std::string path_prefix, http_handler handler) {
  routes_.push_back({std::move(method), std::move(path_prefix), true, std::move(handler)});
  return *this;
}

router& router::fallback(http_handler handler) {
  fallback_ = std::move(handler);
  return *this;
}

router& router::answers(std::function<http_response(http_response)> decorate) {
  decorate_ = std::move(decorate);
  return *this;
}

void router::operator()(http_request&& request, responder respond) const {
  if (decorate_) {
    respond = [respond = std::move(respond), decorate = decorate_](http_response r) { respond(decorate(std::move(r))); };
  }
  for (const auto& r : routes_) {
    if (!r.method.empty() && r.method != request.method) continue;
    const bool matches = r.is_prefix ? request.path.compare(0, r.path.size(), r.path) == 0 : request.path == r.path;
    if (!matches) continue;
    r.handler(std::move(request), std::move(respond));
    return;
  }
  if (fallback_) {
    fallback_(std::move(request), std::move(respond));
    return;
  }
  respond(not_found(request.path));
}

http_response not_found(const std::string&) {
  http_response r;
  r.status = 404;
  r.content_type = "text/plain;charset=utf-8";
  r.body = "Not Found";
  return r;
}

}  // namespace moai::gateway
