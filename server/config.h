// The server's view of the config module (lib/config): the public tempo.yaml
// loader plus Tempo's command-line flags.
#ifndef ANDANTE_SERVER_CONFIG_H_
#define ANDANTE_SERVER_CONFIG_H_

#include "andante/config.h"
#include "config/flags.h"
#include "config/generator_config.h"

namespace andante::server {

using internal::Flags;
using internal::LoadConfig;
using internal::ParseFlags;
using internal::ParseGeneratorTenantOverrides;

}  // namespace andante::server

#endif  // ANDANTE_SERVER_CONFIG_H_
