// The routes of the HTTP server as a table that the wiring fills: a method (or any) and
// a path (exact, or a prefix) to a handler. The first route that matches answers; a
// request that matches none gets the fallback (404 unless set).
#pragma once

#include <string>
#include <vector>

#include "gateway/server/http_types.hpp"

namespace moai::gateway {

class router {
 public:
  // `method` empty: any method.
  router& exact(std::string method, std::string path, http_handler handler);
  router& prefix(std::string method, std::string path_prefix, http_handler handler);
  // For requests no route matches.
  router& fallback(http_handler handler);
  // Wraps every answer (e.g. headers every route carries).
  router& answers(std::function<http_response(http_response)> decorate);

  void operator()(http_request&& request, responder respond) const;

 private:
  struct route {
    std::string method;
    std::string path;
    bool is_prefix = false;
    http_handler handler;
  };
  std::vector<route> routes_;
  http_handler fallback_;
  std::function<http_response(http_response)> decorate_;
};

// 404 with the text "Not Found", as the JavaScript moai answers unknown paths.
http_response not_found(const std::string& path);

}  // namespace moai::gateway
