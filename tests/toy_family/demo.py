"""The toy's demo section: one row, the first bundled image through a fresh toy network."""

from zoo.demo.gallery import Cell, Section
from zoo.image import read_image, write_image


def toy_section(images, out):
    import numpy as np

    import zoo

    model = zoo.load("toy", weights=None)
    image = read_image(images[0])[:64, :64, :3].astype("float32") / 255
    result = np.asarray(model(image[None]))[0]
    path = write_image(out / "toy" / "toy.png", np.clip(result * 255, 0, 255).astype("uint8"))
    section = Section("Toy family", "A toy family for the family-contract test")
    section.rows.append(("toy", [Cell(str(path.relative_to(out)), "a fresh toy network")]))
    return section
