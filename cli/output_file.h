#pragma once
// Writing a whole output file (a trace, a report) so that a reader never sees half of it: the
// text goes to PATH.tmp, which is renamed over PATH only once it is complete.
#include <string>

namespace moesim::cli {

// Throws UserError "FLAG PATH: why" when the file cannot be written; no PATH.tmp is left.
void write_file_atomically(const std::string& path, const std::string& text, const std::string& flag);

}  // namespace moesim::cli
