"""Qi's render of a range of frames in Blender, the command of a farm
task (and of a render on the artist's machine)::

    blender --background SCENE.blend --factory-startup --python-exit-code 1 \\
        --python qi_blender_render.py -- --start 1 --end 4 --output /r/renderMain.####.png

Each frame is rendered and written with the scene's settings (PNG), then
checked: a frame that Blender did not write whole fails the task (exit
1), so that nothing of the render is published."""
import argparse
import os
import sys

import bpy


def frame_path(pattern, frame):
    """``/r/name.####.png`` → the path of ``frame`` (``#`` a digit)."""
    folder, name = os.path.split(pattern)
    start = name.find("#")
    if start < 0:
        raise ValueError("the output “%s” has no #### for the frame number" % pattern)
    end = start
    while end < len(name) and name[end] == "#":
        end += 1
    return os.path.join(folder, "%s%0*d%s" % (name[:start], end - start, frame, name[end:]))


def written(path):
    """Whether ``path`` is a whole PNG."""
    if not os.path.isfile(path) or os.path.getsize(path) < 20:
        return False
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(-12, os.SEEK_END)
        return head == b"\x89PNG\r\n\x1a\n" and f.read(12)[4:8] == b"IEND"


def render(start, end, pattern, log=print):
    scene = bpy.context.scene
    scene.render.image_settings.file_format = "PNG"
    scene.render.use_file_extension = False
    os.makedirs(os.path.dirname(pattern) or ".", exist_ok=True)
    paths = []
    for frame in range(start, end + 1):
        path = frame_path(pattern, frame)
        scene.frame_set(frame)
        scene.render.filepath = path
        try:
            bpy.ops.render.render(write_still=True)
        except RuntimeError as error:
            raise RuntimeError("frame %d did not render: %s" % (frame, error)) from None
        if not written(path):
            raise RuntimeError("frame %d: Blender did not write %s" % (frame, path))
        log("QI-FRAME %d %s" % (frame, path))
        paths.append(path)
    return paths


def main(argv):
    parser = argparse.ArgumentParser(prog="qi_blender_render.py")
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--end", type=int, required=True)
    parser.add_argument("--output", required=True)
    options = parser.parse_args(argv)
    if options.end < options.start:
        parser.error("--end %d is before --start %d" % (options.end, options.start))
    render(options.start, options.end, options.output, log=lambda text: print(text, flush=True))


if __name__ == "__main__":
    main(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else [])
