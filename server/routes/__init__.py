"""The hall API's routes, one module per resource; each is a thin layer over hall/."""
