"""A resident's phone start page: the things a citizen can do, as tiles."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from console.render import render
from console.session import Ctx, page

router = APIRouter()

TILES = [("/ui/report", "随手拍", "发现问题，拍照上报"),
         ("/ui/incidents", "我的上报", "进度与评价"),
         ("/ui/inbox", "我的待办", "需要我处理的事项"),
         ("/ui/credit", "德分宝", "积分、签到、善行义举"),
         ("/ui/credit/offers", "积分兑换", "商品与服务"),
         ("/ui/dog-disputes", "养犬纠纷", "文明养犬 自律·共律·法律")]


@router.get("/me")
async def me(ctx: Annotated[Ctx, Depends(page)]) -> Response:
    return render(ctx, "home.html", title="我的", tiles=TILES)
