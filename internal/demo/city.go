package demo

import "huhang/internal/model"

// place is a street (街道) or town (镇/乡) whose name schools borrow; suffix
// is "镇" or "乡" for county towns and empty for urban streets.
type place struct{ base, suffix string }

func (p place) full() string { return p.base + p.suffix }

// districtSpec describes one district or county of the synthetic city.
type districtSpec struct {
	code, name string
	kind       model.DistrictKind
	pop        int     // resident population, used only for proportions
	rurality   float64 // 0 = wholly urban … 1 = wholly rural; shapes class sizes and school counts
	places     []place
}

// cityName is the prefix of city-level school names.
const cityName = "攀枝花市"

// districts is the synthetic city's five districts and counties, in code order.
var districts = []districtSpec{
	{code: "510402", name: "东区", kind: model.KindDistrict, pop: 411427, rurality: 0, places: streets(
		"炳草岗", "大渡口", "东华", "弄弄坪", "瓜子坪", "银江", "密地", "向阳村", "南山", "湖光", "长寿路", "枣子坪", "五十四", "新华")},
	{code: "510403", name: "西区", kind: model.KindDistrict, pop: 129406, rurality: 0.2, places: streets(
		"清香坪", "格里坪", "玉泉", "河门口", "大宝鼎", "陶家渡", "苏铁", "摩梭河", "巴关河", "太平")},
	{code: "510411", name: "仁和区", kind: model.KindDistrict, pop: 265562, rurality: 0.6, places: streets(
		"大河", "平地", "总发", "布德", "大田", "同德", "金江", "务本", "前进", "福田", "啊喇", "太平", "中坝", "仁和", "南山")},
	{code: "510421", name: "米易县", kind: model.KindCounty, pop: 227011, rurality: 1, places: []place{
		{"攀莲", "镇"}, {"丙谷", "镇"}, {"撒莲", "镇"}, {"垭口", "镇"}, {"草场", "镇"}, {"得石", "镇"},
		{"普威", "镇"}, {"白马", "镇"}, {"麻陇", "乡"}, {"湾丘", "乡"}, {"新山", "乡"}, {"白坡", "乡"}}},
	{code: "510422", name: "盐边县", kind: model.KindCounty, pop: 178797, rurality: 1, places: []place{
		{"桐子林", "镇"}, {"新九", "镇"}, {"红格", "镇"}, {"渔门", "镇"}, {"永兴", "镇"}, {"惠民", "镇"},
		{"益民", "乡"}, {"红果", "乡"}, {"国胜", "乡"}, {"温泉", "乡"}, {"箐河", "乡"}, {"共和", "乡"}, {"红宝", "乡"}}},
}

func streets(names ...string) []place {
	out := make([]place, len(names))
	for i, n := range names {
		out[i] = place{base: n}
	}
	return out
}

// villages are generic village names (村) for rural primary schools.
var villages = []string{
	"新民", "河口", "大坪", "田坝", "龙潭", "团结", "光明", "红星", "和平", "金沙",
	"安宁", "马鞍", "石门", "青山", "沙坝", "双河", "桃园", "柏林", "核桃", "梨园",
	"龙泉", "高峰", "观音", "松林", "长坡", "麻柳", "黄草", "大湾", "小河", "新桥",
}

// kindergartenNames are the fancy names kindergartens like to take.
var kindergartenNames = []string{
	"花城", "阳光", "春苗", "七彩", "蓓蕾", "童心", "启航", "育才", "向日葵", "小太阳",
	"金色童年", "芳草", "彩虹", "星星", "绿茵", "蒲公英", "小精灵", "快乐", "晨曦", "欣苑",
}

// vocationalThemes name the city's vocational schools.
var vocationalThemes = []string{
	"机电", "经贸旅游", "建筑工程", "卫生", "信息技术", "现代农业", "交通运输", "财经商贸",
}

// typeSpec is a school type's share of the synthetic city at scale 1.
type typeSpec struct {
	typ     model.SchoolType
	schools int // number of schools
	pupils  int // pupils across all of them
	// ruralBoost raises the share of schools counties get beyond their
	// population share (weight = pop × (1 + ruralBoost × rurality)).
	ruralBoost float64
	// perDistrict spreads the schools evenly over districts instead.
	perDistrict bool
}

// typeSpecs sums to 300 schools and about 180,000 pupils.
var typeSpecs = []typeSpec{
	{typ: model.Kindergarten, schools: 110, pupils: 22500, ruralBoost: 0.6},
	{typ: model.Primary, schools: 110, pupils: 68000, ruralBoost: 1.2},
	{typ: model.Junior, schools: 35, pupils: 32000, ruralBoost: 0.3},
	{typ: model.Senior, schools: 15, pupils: 23500},
	{typ: model.NineYear, schools: 15, pupils: 12000, ruralBoost: 4},
	{typ: model.TwelveYear, schools: 4, pupils: 10000},
	{typ: model.Special, schools: 5, pupils: 600, perDistrict: true},
	{typ: model.Vocational, schools: 6, pupils: 11400},
}

// categoryRates are the chances of each key-student category for a pupil in
// an urban district or in a county.
type categoryRates struct {
	leftBehind, poor, migrant float64
}

var (
	urbanRates  = categoryRates{leftBehind: 0.06, poor: 0.04, migrant: 0.05}
	countyRates = categoryRates{leftBehind: 0.22, poor: 0.09, migrant: 0.02}
)

// City-wide category rates.
const (
	singleParentRate = 0.08
	orphanRate       = 0.003
	disabledRate     = 0.01
	noIDRate         = 0.04 // plus migrantNoIDRate for migrant children: about 5 % overall
	migrantNoIDRate  = 0.25
	maleRate         = 0.515
)

// agencies are the city's partner agencies.
var agencies = []model.Agency{
	{Kind: model.Agency12355, Name: "共青团攀枝花市委12355青少年服务台"},
	{Kind: model.AgencyHealthCentre, Name: "攀枝花市儿童青少年心理诊疗中心"},
	{Kind: model.AgencyWomen, Name: "攀枝花市妇女联合会"},
	{Kind: model.AgencyCivil, Name: "攀枝花市民政局"},
}
