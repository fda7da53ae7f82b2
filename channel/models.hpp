#pragma once
// The registered channel models, one file each (channel/<name>.cpp); channel_model.cpp lists them.
#include "channel/channel_model.hpp"

namespace mimo::models {

ChannelModelInfo rayleigh();   // rayleigh.cpp
ChannelModelInfo kronecker();  // kronecker.cpp
ChannelModelInfo rician();     // rician.cpp
ChannelModelInfo cdl();        // cdl.cpp (tables: cdl_tables.cpp)
ChannelModelInfo file();       // file_channel.cpp
ChannelModelInfo awgn();       // awgn.cpp

}  // namespace mimo::models
