/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The default of `applications.groups`: the DCCs Qi has host addons for,
 * where their vendors install them. A studio's bundle or project settings
 * add variants, change paths and set each one's environment.
 */
#define QI_APP_DEFAULT_GROUPS "{" \
  "\"blender\": {\"label\": \"Blender\", \"host\": \"blender\", \"icon\": \"blender\"," \
  "  \"workfile_extension\": \".blend\"," \
  "  \"discover\": {\"linux\": [\"/opt/blender-{version}/blender\", \"/opt/blender/{version}/blender\"]}," \
  "  \"variants\": {" \
  "    \"3.4\": {\"executables\": {\"linux\": [\"/opt/blender-3.4/blender\", \"/usr/bin/blender\"]," \
  "      \"windows\": [\"C:/Program Files/Blender Foundation/Blender 3.4/blender.exe\"]," \
  "      \"darwin\": [\"/Applications/Blender.app/Contents/MacOS/Blender\"]}}," \
  "    \"4.2\": {\"executables\": {\"linux\": [\"/opt/blender-4.2/blender\", \"blender-4.2\"]," \
  "      \"windows\": [\"C:/Program Files/Blender Foundation/Blender 4.2/blender.exe\"]}}}}," \
  "\"maya\": {\"label\": \"Maya\", \"host\": \"maya\", \"icon\": \"maya\", \"workfile_extension\": \".ma\"," \
  "  \"discover\": {\"linux\": [\"/usr/autodesk/maya{version}/bin/maya\"]}," \
  "  \"variants\": {" \
  "    \"2025\": {\"executables\": {\"linux\": [\"/usr/autodesk/maya2025/bin/maya\"]," \
  "      \"windows\": [\"C:/Program Files/Autodesk/Maya2025/bin/maya.exe\"]," \
  "      \"darwin\": [\"/Applications/Autodesk/maya2025/Maya.app/Contents/bin/maya\"]}}," \
  "    \"2024\": {\"executables\": {\"linux\": [\"/usr/autodesk/maya2024/bin/maya\"]," \
  "      \"windows\": [\"C:/Program Files/Autodesk/Maya2024/bin/maya.exe\"]}}}}," \
  "\"nuke\": {\"label\": \"Nuke\", \"host\": \"nuke\", \"icon\": \"nuke\", \"workfile_extension\": \".nk\"," \
  "  \"variants\": {" \
  "    \"15.1\": {\"executables\": {\"linux\": [\"/usr/local/Nuke15.1v1/Nuke15.1\"]," \
  "      \"windows\": [\"C:/Program Files/Nuke15.1v1/Nuke15.1.exe\"]}}," \
  "    \"14.1\": {\"executables\": {\"linux\": [\"/usr/local/Nuke14.1v5/Nuke14.1\"]," \
  "      \"windows\": [\"C:/Program Files/Nuke14.1v5/Nuke14.1.exe\"]}}}}," \
  "\"houdini\": {\"label\": \"Houdini\", \"host\": \"houdini\", \"icon\": \"houdini\"," \
  "  \"workfile_extension\": \".hip\"," \
  "  \"discover\": {\"linux\": [\"/opt/hfs{version}/bin/houdini\"]}," \
  "  \"variants\": {" \
  "    \"20.5\": {\"executables\": {\"linux\": [\"/opt/hfs20.5/bin/houdini\"]," \
  "      \"windows\": [\"C:/Program Files/Side Effects Software/Houdini 20.5.332/bin/houdini.exe\"]}}}}," \
  "\"substancepainter\": {\"label\": \"Substance 3D Painter\", \"host\": \"substance-painter\"," \
  "  \"icon\": \"substancepainter\", \"workfile_extension\": \".spp\"," \
  "  \"variants\": {" \
  "    \"10\": {\"executables\": {\"linux\": [\"/opt/Adobe/Adobe_Substance_3D_Painter/Adobe Substance 3D Painter\"]," \
  "      \"windows\": [\"C:/Program Files/Adobe/Adobe Substance 3D Painter/Adobe Substance 3D Painter.exe\"]}}}}," \
  "\"mari\": {\"label\": \"Mari\", \"host\": \"mari\", \"icon\": \"mari\", \"workfile_extension\": null," \
  "  \"variants\": {" \
  "    \"7.0\": {\"executables\": {\"linux\": [\"/opt/Mari7.0v2/mari\"]," \
  "      \"windows\": [\"C:/Program Files/Mari7.0v2/Bundle/bin/Mari7.0v2.exe\"]}}}}," \
  "\"hiero\": {\"label\": \"Hiero\", \"host\": \"hiero\", \"icon\": \"hiero\", \"workfile_extension\": \".hrox\"," \
  "  \"variants\": {" \
  "    \"15.1\": {\"executables\": {\"linux\": [\"/usr/local/Nuke15.1v1/Nuke15.1\"]," \
  "      \"windows\": [\"C:/Program Files/Nuke15.1v1/Nuke15.1.exe\"]}, \"arguments\": [\"--hiero\"]}}}," \
  "\"resolve\": {\"label\": \"DaVinci Resolve\", \"host\": \"resolve\", \"icon\": \"resolve\"," \
  "  \"workfile_extension\": null," \
  "  \"variants\": {" \
  "    \"19\": {\"executables\": {\"linux\": [\"/opt/resolve/bin/resolve\"]," \
  "      \"windows\": [\"C:/Program Files/Blackmagic Design/DaVinci Resolve/Resolve.exe\"]," \
  "      \"darwin\": [\"/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/MacOS/Resolve\"]}}}}," \
  "\"3dequalizer\": {\"label\": \"3DEqualizer\", \"host\": \"3de\", \"icon\": \"3dequalizer\"," \
  "  \"workfile_extension\": \".3de\"," \
  "  \"discover\": {\"linux\": [\"/opt/3DE4_r{version}/bin/3DE4\"]}," \
  "  \"variants\": {" \
  "    \"r8\": {\"executables\": {\"linux\": [\"/opt/3DE4_r8/bin/3DE4\"]," \
  "      \"windows\": [\"C:/Program Files/3DE4_win64_r8/bin/3DE4.exe\"]}}}}" \
  "}"
