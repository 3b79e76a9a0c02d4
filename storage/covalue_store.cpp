#include "storage/covalue_store.hpp"

#include <stdexcept>

namespace moai::storage {

std::vector<load_result> covalue_store::load_many(const std::vector<std::string>& ids) {
  std::vector<load_result> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    try {
      out[i].covalue = load(ids[i]);
    } catch (const std::exception& e) {
      out[i].error = e.what();
    }
  }
  return out;
}

}  // namespace moai::storage
