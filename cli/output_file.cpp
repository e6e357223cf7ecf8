#include "output_file.h"

#include <cstdio>
#include <fstream>

#include "moesim/common/error.h"

namespace moesim::cli {

void write_file_atomically(const std::string& path, const std::string& text, const std::string& flag) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary);
        if (!out) throw UserError(flag + " " + path + ": cannot write the file");
        out << text;
        out.close();
        if (!out) {
            std::remove(tmp.c_str());
            throw UserError(flag + " " + path + ": writing the file failed");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw UserError(flag + " " + path + ": cannot write the file");
    }
}

}  // namespace moesim::cli
