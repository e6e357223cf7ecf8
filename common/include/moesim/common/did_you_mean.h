#pragma once
#include <string>
#include <vector>

namespace moesim {

// The closest candidate to `word` by edit distance, if it is close enough to be a likely
// misspelling (distance <= max(2, |word|/3)); empty otherwise.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" or "" — ready to append to an error message.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace moesim
