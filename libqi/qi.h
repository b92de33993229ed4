/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define QI_INSIDE

#include "qi-version.h"
#include "qi-enum-types.h"

#include "qi-addon.h"
#include "qi-addon-info.h"
#include "qi-addon-manager.h"
#include "qi-addon-module.h"
#include "qi-application.h"
#include "qi-bundle.h"
#include "qi-bundle-manager.h"
#include "qi-cli-invocation.h"
#include "qi-cli-manager.h"
#include "qi-cli-verb.h"
#include "qi-config-manager.h"
#include "qi-connection-manager.h"
#include "qi-handler-registry.h"
#include "qi-hub-error.h"
#include "qi-launch-config.h"
#include "qi-message.h"
#include "qi-hub.h"
#include "qi-hub-client.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-request.h"
#include "qi-message-bus.h"
#include "qi-rest-request.h"
#include "qi-rest-router.h"
#include "qi-semver.h"
#include "qi-server.h"
#include "qi-session.h"
#include "qi-service.h"
#include "qi-settings-schema.h"
#include "qi-settings.h"
#include "qi-static-folder.h"
#include "qi-token.h"
#include "qi-token-authority.h"
#include "qi-toml-parser.h"
#include "qi-version-range.h"

#undef QI_INSIDE
