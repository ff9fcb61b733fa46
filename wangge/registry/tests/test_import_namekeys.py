"""The importer's cached name keys equal identity.name_keys (what the search looks up)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.registry.identity import name_keys
from wangge.registry.importing.namekeys import fast_name_keys

COMMON = (
    "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单长重朝乐查解仇区欧阳司马上官诸葛伟芳娜"
    "敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国红梅志文海波"
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=COMMON, min_size=1, max_size=5))
def test_fast_keys_equal_name_keys(name):
    assert fast_name_keys(name) == name_keys(name)


@given(st.text(max_size=6))
def test_fast_keys_equal_name_keys_on_any_text(name):
    assert fast_name_keys(name) == name_keys(name)


def test_known_readings():
    for name in ("单田芳", "曾国藩", "重庆", "欧阳修", "张三丰", "Tom Li", "朝阳"):
        assert fast_name_keys(name) == name_keys(name)
