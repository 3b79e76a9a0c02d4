// Subscribers mostly hold the same state of a CoValue, so what one lacks is encoded once
// per change of the CoValue (its revision) and reused for the next peer in that state,
// when there is more than one peer to share it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/sync/covalue_state.hpp"
#include "protocol/sync/known_state.hpp"

namespace moai::actors {

class content_encoding {
 public:
  // What `peer` lacks of `cv`, encoded. `shared`: other peers may ask for the same.
  std::vector<std::string> for_peer(const protocol::covalue_state& cv, const protocol::known_state& peer,
                                    bool shared) {
    if (last_ && last_->revision == cv.revision() && last_->peer == peer) return last_->pieces;
    auto pieces = cv.new_content_since(&peer);
    if (shared) {
      last_ = entry{cv.revision(), peer, pieces};
    } else {
      last_.reset();  // nobody to share it with: not kept in memory
    }
    return pieces;
  }

 private:
  struct entry {
    std::uint64_t revision = 0;
    protocol::known_state peer;
    std::vector<std::string> pieces;
  };
  std::optional<entry> last_;
};

}  // namespace moai::actors
