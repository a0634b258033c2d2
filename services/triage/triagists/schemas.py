from pydantic import BaseModel


class Colleague(BaseModel):
    id: str
    name: str


class Colleagues(BaseModel):
    items: list[Colleague]
